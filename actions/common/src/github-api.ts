// One GitHub REST API call with the headers GitHub asks for, and the errors it answers turned into ApiError
// (status + GitHub's own message); plus the Link-header pagination both the comments and the deployments use.

export interface GitHubAuth {
  token: string;
  fetchImpl?: typeof fetch;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The rel="next" URL of a Link header, or null on the last page. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>;\s*rel="next"/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

export async function githubRequest(o: GitHubAuth, method: string, url: string, body?: unknown): Promise<Response> {
  const res = await (o.fetchImpl ?? fetch)(url, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${o.token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'shs-delivery',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, `${method} ${new URL(url).pathname}: ${res.status} ${message}`);
  }
  return res;
}
