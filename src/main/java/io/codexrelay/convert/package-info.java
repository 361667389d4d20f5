/**
 * Pure translation between the Responses API (the relay's canonical form) and the other dialects: Chat Completions
 * and Anthropic Messages, in both directions, for requests, final answers, errors and SSE event streams.
 *
 * <p>No I/O, no pool, no Jetty: every class turns its input into its output. Request converters are stateless
 * (one instance can serve every request); stream converters are one object per stream, fed one upstream SSE event
 * at a time, writing zero or more downstream events to an {@link io.codexrelay.convert.SseSink}, never buffering the
 * whole answer. See docs/convert.md for every mapping decision and what is lossy.
 */
package io.codexrelay.convert;
