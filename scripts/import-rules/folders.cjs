// The second pass of the import rules: no two folders of a workspace's production code import
// each other, directly or around a ring (verification → registry → apps → verification). Tests and
// test helpers are left out, since a test may well reach across folders.
//
// card-service is not held to it yet: its domain folders share a model that lives in registry/
// (holders, cards, actors, validation), which lifecycle/, issuance/, terminals/ and hsm/ build on
// while registry.ts composes them, and hsm/ and audit/ use each other (checkpoints MACed by the
// HSM, HSM operations audited). docs/architecture.md names these rings; the module-level
// no-circular rule of rules.cjs does hold there.
const { options } = require('./rules.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'folders of one workspace that import each other: one of them holds what both need',
      severity: 'error',
      scope: 'folder',
      from: { pathNot: '^card-service/' },
      to: { circular: true },
    },
  ],
  options: { ...options, exclude: { path: ['\\.test\\.ts$', '^[^/]+/src/testing/', '^(test|bench)/'] } },
};
