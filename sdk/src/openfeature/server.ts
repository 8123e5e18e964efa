export { SwitchboardServerProvider, type ServerProviderOptions } from './server-provider.js';
