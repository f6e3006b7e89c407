import type { ServiceDeps } from './deps.js';

export class ApiKeyService {
  constructor(private readonly deps: ServiceDeps) {}
}
