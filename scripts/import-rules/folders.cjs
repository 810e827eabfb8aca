// The second pass of the import rules: no two folders of a workspace's production code import
// each other, directly or around a ring (verification → registry → apps → verification). Tests and
// test helpers are left out, since a test may well reach across folders. Every workspace is held
// to it, card-service's domain folders included (docs/architecture.md gives their order).
const { options } = require('./rules.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'folders of one workspace that import each other: one of them holds what both need',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
  ],
  options: { ...options, exclude: { path: ['\\.test\\.ts$', '^[^/]+/src/testing/', '^(test|bench)/'] } },
};
