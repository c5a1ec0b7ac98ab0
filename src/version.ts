/** The calico-ts release; calicoctl prints it and compares it with ClusterInformation.calicoVersion. */
export const VERSION = 'v0.1.0';
export const GIT_COMMIT = process.env.CALICO_TS_GIT_COMMIT ?? 'unknown';
