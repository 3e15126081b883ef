// From validated inputs to a deploy report, for both adapters (the action and `pipeline deploy`): picks the
// target, obtains and masks the Yandex Cloud credentials, and never throws: a failure is recorded on the
// report, which the adapters turn into outputs and a summary.
import { join, resolve } from 'node:path';
import { getYcIamToken, maskMultiline } from '../../common/src/yc-auth.js';
import { deployCloud, emptyReport, recordFailure, type DeployReport } from './deploy.js';
import { backendSecrets, type Inputs } from './inputs.js';
import type { ToolCache } from './install.js';
import { deployLocal } from './local.js';

export interface DeployAdapters {
  /** The repository checkout: the local target's root, and the base of working-directory. */
  workspace: string;
  cache: ToolCache;
  log: (line: string) => void;
  warn: (line: string) => void;
  phase: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  mask: (secret: string) => void;
  getIdToken?: (audience?: string) => Promise<string>;
  /** The local stack's state directory (default <workspace>/.state). */
  stateDir?: string;
}

async function deploy(inputs: Inputs, a: DeployAdapters, report: DeployReport): Promise<DeployReport> {
  if (inputs.target === 'local') {
    return deployLocal(
      {
        image: inputs.image,
        root: a.workspace,
        stateDir: a.stateDir ?? join(a.workspace, '.state'),
        httpPort: inputs.localHttpPort,
        httpsPort: inputs.localHttpsPort,
        scale: inputs.localScale,
        instances: inputs.localInstances,
        log: a.log,
        phase: a.phase,
      },
      report,
    );
  }
  const token = await a.phase('Credentials', () =>
    getYcIamToken(
      { saJsonCredentials: inputs.ycSaJsonCredentials, iamToken: inputs.ycIamToken, saId: inputs.ycSaId },
      { mask: a.mask, ...(a.getIdToken ? { getIdToken: a.getIdToken } : {}) },
    ),
  );
  if (token) a.log(`Yandex Cloud credentials: ${token.method}`);
  else a.warn('no Yandex Cloud credentials given: the provider must find its own (YC_TOKEN, YC_SERVICE_ACCOUNT_KEY_FILE)');
  const env: Record<string, string> = {};
  if (token) env.YC_TOKEN = token.token;
  if (inputs.ycCloudId) env.YC_CLOUD_ID = inputs.ycCloudId;
  if (inputs.ycFolderId) env.YC_FOLDER_ID = inputs.ycFolderId;
  return deployCloud(
    {
      image: inputs.image,
      workingDirectory: resolve(a.workspace, inputs.workingDirectory),
      tool: {
        tool: inputs.tool,
        version: inputs.toolVersion,
        cache: a.cache,
        ...(inputs.toolBinary ? { binary: resolve(a.workspace, inputs.toolBinary) } : {}),
        ...(inputs.toolDownloadUrl ? { baseUrl: inputs.toolDownloadUrl } : {}),
      },
      // A settings file is taken relative to the workspace, like every other path input (terraform would
      // read it relative to working-directory).
      backendConfig: inputs.backendConfig.map((b) => (b.includes('=') ? b : resolve(a.workspace, b))),
      variables: inputs.variables,
      varFiles: inputs.varFiles,
      lockTimeout: inputs.lockTimeout,
      planOnly: inputs.planOnly,
      lock: inputs.lock,
      ...(inputs.planOut ? { planOut: resolve(a.workspace, inputs.planOut) } : {}),
      ...(inputs.applyPlan ? { applyPlan: resolve(a.workspace, inputs.applyPlan) } : {}),
      env,
      ...(token ? { token: async () => token.token } : {}),
      ...(inputs.computeApi ? { computeApi: inputs.computeApi } : {}),
      rolloutTimeoutMs: inputs.rolloutTimeoutMs,
      log: a.log,
      phase: a.phase,
      mask: a.mask,
    },
    report,
  );
}

/** Deploys; the report says how it went (failureReason set on failure). */
export async function runDeploy(inputs: Inputs, a: DeployAdapters): Promise<DeployReport> {
  const started = Date.now();
  const report = emptyReport(inputs.target, inputs.image);
  if (inputs.ycSaJsonCredentials) maskMultiline(inputs.ycSaJsonCredentials, a.mask);
  if (inputs.ycIamToken) a.mask(inputs.ycIamToken);
  for (const secret of backendSecrets(inputs.backendConfig)) a.mask(secret);
  try {
    await deploy(inputs, a, report);
  } catch (err) {
    recordFailure(report, err);
  }
  report.durationMs = Date.now() - started;
  return report;
}
