// The local target: (re)starts the local stack from the checked-out code (PostgreSQL, the SHS instances, the
// proxy) and reports its entry points. It runs the service from the built bundle, not from the image: the
// image digest is carried through to the report so the smoke step and the PR comment can name it.
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

export async function deployLocal(o: LocalDeployOptions, report: DeployReport): Promise<DeployReport> {
  const at = o.image.indexOf('@sha256:');
  report.digest = at >= 0 ? o.image.slice(at + 1) : '';
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
