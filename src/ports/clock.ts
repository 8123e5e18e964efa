/** The current time, unix ms. Injected so tests can move time; the core never reads a clock. */
export type Clock = () => number;
