// Sticky pull-request comments through the GitHub REST API: find our comment by a hidden marker and its
// author (paginated), then update it or create one. Plain fetch; the base URL comes from GITHUB_API_URL.

export interface StickyOptions {
  token: string;
  apiUrl: string;
  /** "owner/name" */
  repository: string;
  issue: number;
  /** Hidden HTML comment identifying the report, e.g. <!-- shs-smoke:production --> */
  marker: string;
  body: string;
  /** Only a comment by this login is ours to update (GITHUB_TOKEN writes as github-actions[bot]). */
  author: string;
  fetchImpl?: typeof fetch;
}

export type StickyOutcome =
  | { action: 'created' | 'updated'; id: number; url: string }
  | { action: 'skipped'; reason: string };

export const MAX_COMMENT_LENGTH = 65_536;

interface Comment {
  id: number;
  body?: string;
  html_url: string;
  user?: { login?: string } | null;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>;\s*rel="next"/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

async function call(o: StickyOptions, method: string, url: string, body?: unknown): Promise<Response> {
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

export async function findSticky(o: StickyOptions): Promise<Comment | null> {
  let url: string | null = `${o.apiUrl}/repos/${o.repository}/issues/${o.issue}/comments?per_page=100`;
  for (let page = 0; url && page < 50; page++) {
    const res = await call(o, 'GET', url);
    const comments = (await res.json()) as Comment[];
    const ours = comments.find((c) => c.user?.login === o.author && (c.body ?? '').startsWith(o.marker));
    if (ours) return ours;
    url = nextLink(res.headers.get('link'));
  }
  return null;
}

/** Creates or updates the sticky comment. A read-only token (fork PRs) gives `skipped`, never a failure. */
export async function upsertSticky(o: StickyOptions): Promise<StickyOutcome> {
  if (!o.body.startsWith(o.marker)) throw new Error('the comment body must start with its marker');
  if (o.body.length > MAX_COMMENT_LENGTH) throw new Error(`the comment is ${o.body.length} characters, over GitHub's ${MAX_COMMENT_LENGTH}`);
  try {
    const existing = await findSticky(o);
    if (existing) {
      const res = await call(o, 'PATCH', `${o.apiUrl}/repos/${o.repository}/issues/comments/${existing.id}`, { body: o.body });
      const c = (await res.json()) as Comment;
      return { action: 'updated', id: c.id, url: c.html_url };
    }
    const res = await call(o, 'POST', `${o.apiUrl}/repos/${o.repository}/issues/${o.issue}/comments`, { body: o.body });
    const c = (await res.json()) as Comment;
    return { action: 'created', id: c.id, url: c.html_url };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404))
      return { action: 'skipped', reason: `the token cannot write comments here (${err.message}); fork pull requests get a read-only token` };
    throw err;
  }
}
