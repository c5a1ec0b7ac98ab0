export * from './calico-error.js';
