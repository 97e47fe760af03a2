// Prometheus metrics: per-tool call counts and latencies, HTTP requests, MCP sessions.
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new PromRegistry();
  readonly toolCalls = new Counter({
    name: 'ctxgate_tool_calls_total',
    help: 'Tool calls by tool, transport and outcome',
    labelNames: ['tool', 'transport', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly toolDuration = new Histogram({
    name: 'ctxgate_tool_duration_seconds',
    help: 'Tool call latency',
    labelNames: ['tool'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'ctxgate_http_requests_total',
    help: 'HTTP requests by route kind and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly mcpSessions = new Gauge({ name: 'ctxgate_mcp_sessions', help: 'Open MCP sessions', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ctxgate_' });
  }
}
