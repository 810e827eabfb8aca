import type { whatif } from '@sscard/registry-protocol';
import { listFindings, resolveFinding } from '../data-quality/findings.js';
import { scanDataQuality } from '../data-quality/scan.js';
import { checkFunds } from '../whatif/fund-warnings.js';
import { listFundWatches, removeFundWatch, setFundWatch } from '../whatif/fund-watch.js';
import { runPensionProjection } from '../whatif/pension-projection.js';
import { runPolicyWhatIf } from '../whatif/policy-whatif.js';
import type { Services } from './context.js';
import type { Handlers } from './handler.js';

type WhatIfOperation = (typeof whatif.whatIfRoutes)[number]['operationId'];

/** The handlers of registry-protocol's analysis routes: each kind started, listed, read, compared. */
export function whatIfHandlers(svc: Services): Pick<Handlers, WhatIfOperation> {
  const jobs = svc.analyses;
  return {
    startPolicyWhatIf: {
      handle: async (ctx) => ({
        status: 202,
        body: await jobs.start('policy', ctx.body, ctx.actor, (progress, stopped) =>
          runPolicyWhatIf(svc.store, ctx.body, { onProgress: progress, stopped }),
        ),
      }),
    },
    listPolicyWhatIfs: {
      handle: async (ctx) => ({ body: { jobs: await jobs.list('policy', ctx.query.limit) } }),
    },
    getPolicyWhatIf: {
      handle: async (ctx) => ({ body: await jobs.get('policy', ctx.params.jobId!) }),
    },
    comparePolicyWhatIfs: {
      handle: async (ctx) => ({ body: await jobs.compare('policy', ctx.query.a, ctx.query.b) }),
    },
    startPensionProjection: {
      handle: async (ctx) => ({
        status: 202,
        body: await jobs.start('pension', ctx.body, ctx.actor, (progress, stopped) =>
          runPensionProjection(svc.store, ctx.body, progress, stopped),
        ),
      }),
    },
    listPensionProjections: {
      handle: async (ctx) => ({ body: { jobs: await jobs.list('pension', ctx.query.limit) } }),
    },
    getPensionProjection: {
      handle: async (ctx) => ({ body: await jobs.get('pension', ctx.params.jobId!) }),
    },
    comparePensionProjections: {
      handle: async (ctx) => ({ body: await jobs.compare('pension', ctx.query.a, ctx.query.b) }),
    },
    startDataQualityScan: {
      handle: async (ctx) => ({
        status: 202,
        body: await jobs.start('dataQuality', ctx.body, ctx.actor, (progress, stopped) =>
          scanDataQuality(svc.store, svc.clock, progress, stopped),
        ),
      }),
    },
    listDataQualityScans: {
      handle: async (ctx) => ({ body: { jobs: await jobs.list('dataQuality', ctx.query.limit) } }),
    },
    getDataQualityScan: {
      handle: async (ctx) => ({ body: await jobs.get('dataQuality', ctx.params.jobId!) }),
    },
    compareDataQualityScans: {
      handle: async (ctx) => ({ body: await jobs.compare('dataQuality', ctx.query.a, ctx.query.b) }),
    },
    listDataQualityFindings: {
      handle: async (ctx) => ({ body: { findings: await listFindings(svc.store, ctx.query) } }),
    },
    resolveDataQualityFinding: {
      handle: async (ctx) => ({
        body: await resolveFinding(svc.store, svc.clock, ctx.params.findingId!, ctx.body, ctx.actor),
      }),
    },
    checkFunds: {
      handle: async (ctx) => ({ body: await checkFunds(svc.store, svc.clock, ctx.body) }),
    },
    setFundWatch: {
      handle: async (ctx) => ({ body: await setFundWatch(svc.store, svc.clock, ctx.body, ctx.actor) }),
    },
    listFundWatches: {
      handle: async () => ({ body: { watches: await listFundWatches(svc.store) } }),
    },
    removeFundWatch: {
      handle: async (ctx) => ({
        body: { watches: await removeFundWatch(svc.store, svc.clock, ctx.body, ctx.actor) },
      }),
    },
  };
}
