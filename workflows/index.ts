export { mirrorExecution, runJob } from './run-job';
export { reconcile } from './reconcile';
export { watchJob } from './watch-job';
