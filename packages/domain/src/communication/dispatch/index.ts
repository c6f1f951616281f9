export * from "./dispatch-events";
export * from "./write-digest";
export { matchesFilters, readRuleFilters, type EventFacts } from "./match-rule";
export { deliveryKey } from "./render-delivery";
export { throttleWindow, DIGEST_EVENT_TYPE } from "./storm-control";
