/** Writ's JMH benchmarks and fixed-rate load generator. Run them with {@code scripts/bench}. */
package dev.writ.bench;
