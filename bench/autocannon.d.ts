// The few parts of autocannon 8's API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  export interface Options {
    url: string
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    amount?: number
    workers?: number
    /** With workers, setupRequest is the absolute path of a CommonJS file exporting the function. */
    requests?: Array<{ setupRequest?: string }>
    timeout?: number
  }
  export interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    statusCodeStats: Record<string, { count: number }>
    requests: { average: number; total: number }
    latency: { average: number; p50: number; p99: number }
  }
  export default function autocannon(opts: Options): Promise<Result>
}
