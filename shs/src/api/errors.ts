// Errors the API answers with: a status and a JSON body {"error": <code>, "message": <text>}.

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, 'bad_request', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: code, message });
}
