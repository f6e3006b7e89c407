import type { ServiceDeps } from './deps.js';

export class NodeService {
  constructor(private readonly deps: ServiceDeps) {}
}
