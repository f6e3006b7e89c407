import type { ServiceDeps } from './deps.js';

export class UsageService {
  constructor(private readonly deps: ServiceDeps) {}
}
