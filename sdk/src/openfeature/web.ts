export { SwitchboardWebProvider } from './web-provider.js';
