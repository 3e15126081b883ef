// JSON shapes of the contract. Each returns null when the value fits, else what is wrong.
type Problem = string | null;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const str = (v: unknown) => typeof v === 'string';

function fields(v: unknown, spec: Record<string, (x: unknown) => boolean>, what: string): Problem {
  if (!isObj(v)) return `${what}: expected an object`;
  for (const [key, ok] of Object.entries(spec)) if (!ok(v[key])) return `${what}.${key}: unexpected ${JSON.stringify(v[key]) ?? 'absence'}`;
  return null;
}

export const movie = (v: unknown, what = 'movie'): Problem =>
  fields(v, { id: int, name: str, year: int, duration: int }, what);

export const customer = (v: unknown, what = 'customer'): Problem =>
  fields(v, { id: int, name: str, surname: str, birthday: (x) => str(x) && /^\d{4}-\d{2}-\d{2}$/.test(x as string), email: str }, what);

export const session = (v: unknown): Problem =>
  fields(v, { id: int, start_time: (x) => str(x) && !Number.isNaN(Date.parse(x as string)) }, 'session') ??
  customer((v as Record<string, unknown>).customer, 'session.customer') ??
  movie((v as Record<string, unknown>).movie, 'session.movie');

export const error = (v: unknown): Problem => fields(v, { error: str, message: str }, 'error');
