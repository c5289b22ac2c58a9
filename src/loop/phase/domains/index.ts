/** The 11 built-in domains, in the order PHASE runs them (health first: a down target is known at once). */
import type { DomainName } from '../../../config/schema.js';
import type { Domain } from '../domain.js';
import { burstDomain } from './burst.js';
import { concurrencySweepDomain } from './concurrency-sweep.js';
import { correctnessDomain } from './correctness.js';
import { healthDomain } from './health.js';
import { interactiveDomain } from './interactive.js';
import { longContextDomain } from './long-context.js';
import { prefixCacheDomain } from './prefix-cache.js';
import { soakDomain } from './soak.js';
import { streamingIntegrityDomain } from './streaming-integrity.js';
import { structuredOutputDomain } from './structured-output.js';
import { throughputDomain } from './throughput.js';

export const BUILTIN_DOMAINS: Record<DomainName, Domain> = {
  health: healthDomain,
  interactive: interactiveDomain,
  throughput: throughputDomain,
  'concurrency-sweep': concurrencySweepDomain,
  'long-context': longContextDomain,
  burst: burstDomain,
  correctness: correctnessDomain,
  'structured-output': structuredOutputDomain,
  'streaming-integrity': streamingIntegrityDomain,
  'prefix-cache': prefixCacheDomain,
  soak: soakDomain,
};
