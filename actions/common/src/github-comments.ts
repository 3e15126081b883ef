// Sticky pull-request comments through the GitHub REST API (Octokit): find our comment by a hidden marker and
// its author (paginated), then update it or create one. The base URL comes from GITHUB_API_URL.
import { ApiError, apiError, call, githubClient, jsonData, type GitHubClient } from './github-api.js';

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
  /** Where waits for a rate limit are told. */
  log?: (message: string) => void;
}

export type StickyOutcome =
  | { action: 'created' | 'updated'; id: number; url: string }
  | { action: 'skipped'; reason: string };

export const MAX_COMMENT_LENGTH = 65_536;
const MAX_PAGES = 50;

interface Comment {
  id: number;
  body?: string;
  html_url: string;
  user?: { login?: string } | null;
}

const ownerRepo = (repository: string) => {
  const [owner, repo] = repository.split('/') as [string, string];
  return { owner, repo };
};

async function findIn(github: GitHubClient, o: StickyOptions): Promise<Comment | null> {
  let pages = 0;
  try {
    for await (const page of github.paginate.iterator(github.rest.issues.listComments, { ...ownerRepo(o.repository), issue_number: o.issue, per_page: 100 })) {
      const ours = jsonData<Comment[]>(page.data).find((c) => c.user?.login === o.author && (c.body ?? '').startsWith(o.marker));
      if (ours) return ours;
      if (++pages >= MAX_PAGES) break;
    }
  } catch (err) {
    throw apiError(err);
  }
  return null;
}

export async function findSticky(o: StickyOptions): Promise<Comment | null> {
  return findIn(githubClient(o), o);
}

/** Creates or updates the sticky comment. A read-only token (fork PRs) gives `skipped`, never a failure. */
export async function upsertSticky(o: StickyOptions): Promise<StickyOutcome> {
  if (!o.body.startsWith(o.marker)) throw new Error('the comment body must start with its marker');
  if (o.body.length > MAX_COMMENT_LENGTH) throw new Error(`the comment is ${o.body.length} characters, over GitHub's ${MAX_COMMENT_LENGTH}`);
  const github = githubClient(o);
  try {
    const existing = await findIn(github, o);
    if (existing) {
      const updated = await call(() => github.rest.issues.updateComment({ ...ownerRepo(o.repository), comment_id: existing.id, body: o.body }));
      const c = jsonData<Comment>(updated.data);
      return { action: 'updated', id: c.id, url: c.html_url };
    }
    const created = await call(() => github.rest.issues.createComment({ ...ownerRepo(o.repository), issue_number: o.issue, body: o.body }));
    const c = jsonData<Comment>(created.data);
    return { action: 'created', id: c.id, url: c.html_url };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404))
      return { action: 'skipped', reason: `the token cannot write comments here (${err.message}); fork pull requests get a read-only token` };
    throw err;
  }
}
