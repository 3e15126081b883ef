// Image references: `registry[:port]/repository[:tag]` (the registry host is always explicit).

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
}

const REPO = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseReference(value: string, name = 'push'): ImageReference {
  const ref = value.trim();
  if (ref.includes('@')) throw new Error(`${name}: "${ref}" has a digest; give registry/repository:tag (the digest comes from the build)`);
  const slash = ref.indexOf('/');
  const registry = slash === -1 ? '' : ref.slice(0, slash);
  if (!registry || !(registry.includes('.') || registry.includes(':') || registry === 'localhost'))
    throw new Error(`${name}: "${ref}" must start with a registry host (e.g. cr.yandex/<registry-id>/shs:tag or 127.0.0.1:5000/shs:tag)`);
  let rest = ref.slice(slash + 1);
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new Error(`${name}: "${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  if (!REPO.test(rest)) throw new Error(`${name}: "${rest}" is not a valid repository name (lowercase path components)`);
  return { registry, repository: rest, ...(tag !== undefined ? { tag } : {}) };
}

export function formatReference(ref: ImageReference, digest?: string): string {
  return `${ref.registry}/${ref.repository}${digest ? `@${digest}` : ref.tag ? `:${ref.tag}` : ''}`;
}
