// Sticky pull-request comments through the GitHub REST API: find our comment by a hidden marker and its
// author (paginated), then update it or create one. Plain fetch; the base URL comes from GITHUB_API_URL.
import { ApiError, githubRequest, nextLink } from './github-api.js';

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

export async function findSticky(o: StickyOptions): Promise<Comment | null> {
  let url: string | null = `${o.apiUrl}/repos/${o.repository}/issues/${o.issue}/comments?per_page=100`;
  for (let page = 0; url && page < 50; page++) {
    const res = await githubRequest(o, 'GET', url);
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
      const res = await githubRequest(o, 'PATCH', `${o.apiUrl}/repos/${o.repository}/issues/comments/${existing.id}`, { body: o.body });
      const c = (await res.json()) as Comment;
      return { action: 'updated', id: c.id, url: c.html_url };
    }
    const res = await githubRequest(o, 'POST', `${o.apiUrl}/repos/${o.repository}/issues/${o.issue}/comments`, { body: o.body });
    const c = (await res.json()) as Comment;
    return { action: 'created', id: c.id, url: c.html_url };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404))
      return { action: 'skipped', reason: `the token cannot write comments here (${err.message}); fork pull requests get a read-only token` };
    throw err;
  }
}
