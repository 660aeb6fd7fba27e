// Exports.swift — WiggleGraph is the top of four layers, each a target that
// depends only on those below it:
//   WiggleCore (ids, the graph and its ops, their derivative rules, random
//   streams, special functions) ← WiggleDistributions (the distributions,
//   their densities and the estimator table) ← WiggleAnalysis (which
//   estimator each node takes, and why; the graph's printing) ← WiggleGraph
//   (plans, the particle engine, the pilot, the optimisers).
// A program that imports WiggleGraph sees all four.

@_exported import WiggleAnalysis
@_exported import WiggleCore
@_exported import WiggleDistributions
