// The local target: (re)starts the local stack from the checked-out code (PostgreSQL, the SHS instances, the
// proxy) and reports its entry points. Given the image as an OCI layout (oci:<dir>, what build-image writes),
// the instances run from that image in the Docker engine; given a reference by digest, they run from the built
// bundle and the digest is only carried into the report (the smoke step and the PR comment name it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackPaths, stackPorts, up, type ComponentStatus } from '../../../stack/src/local.js';
import { DeployError, type DeployReport } from './deploy.js';

export interface LocalDeployOptions {
  image: string;
  /** The repository checkout (bin/, proxy/, shs/dist/ must be built). */
  root: string;
  stateDir: string;
  httpPort: number;
  httpsPort: number;
  scale: number;
  instances: number;
  log: (line: string) => void;
  phase: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** The manifest digest of the one image in an OCI layout (build-image's oci:<dir> output). */
export function layoutDigest(image: string): string {
  const dir = image.slice('oci:'.length).replace(/:[^/:]*$/, '');
  const index = join(dir, 'index.json');
  if (!existsSync(index)) throw new DeployError(`image: ${image} is not an OCI layout (no ${index})`, 'input');
  const manifests = (JSON.parse(readFileSync(index, 'utf8')) as { manifests?: { digest?: string }[] }).manifests ?? [];
  if (manifests.length !== 1 || !manifests[0]!.digest) throw new DeployError(`image: ${image} must hold exactly one image (it holds ${manifests.length})`, 'input');
  return manifests[0]!.digest;
}

export async function deployLocal(o: LocalDeployOptions, report: DeployReport): Promise<DeployReport> {
  const fromLayout = o.image.startsWith('oci:');
  const at = o.image.indexOf('@sha256:');
  report.digest = fromLayout ? layoutDigest(o.image) : at >= 0 ? o.image.slice(at + 1) : '';
  let components: ComponentStatus[];
  try {
    components = await o.phase('Local stack', () =>
      up({
        root: o.root,
        stateDir: o.stateDir,
        scale: o.scale,
        instances: o.instances,
        httpPort: o.httpPort,
        httpsPort: o.httpsPort,
        faults: false,
        monitoring: false,
        ...(fromLayout ? { image: o.image } : {}),
        progress: o.log,
      }),
    );
  } catch (err) {
    throw new DeployError(`the local stack did not come up: ${(err as Error).message}`, 'local-failed');
  }
  const down = components.filter((c) => c.state !== 'running');
  if (down.length) throw new DeployError(`the local stack is not healthy: ${down.map((c) => `${c.name} ${c.state} (${c.detail})`).join('; ')}`, 'local-failed');
  const ports = stackPorts(o.stateDir);
  report.applied = true;
  report.url = `http://127.0.0.1:${ports?.http ?? o.httpPort}`;
  report.httpsUrl = `https://localhost:${ports?.https ?? o.httpsPort}`;
  report.caFile = join(stackPaths(o.stateDir).proxy, 'tls', 'cert.pem');
  return report;
}
