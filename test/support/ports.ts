/** Tests take their ports the way the service takes its own. */
export { freeLoopbackPort as freePort } from '../../devserver/dev-server';
