// Conversation handling shared by distill, spaces (conversation sources) and ACE handoffs: one model
// for OpenAI- and Anthropic-form messages, the pairing and verbatim rules, code-fence detection, unit
// classification, and the strategies' selection logic. Pure: no I/O.
export * from './messages.js';
export * from './units.js';
export * from './inject.js';
export * from './strategies.js';
export * from './select.js';
