export * from "./claim-channel-deliveries";
export * from "./record-delivery-attempt";
export * from "./retry-backoff";
export * from "./schedule-channel-delivery";
export * from "./open-channel-credentials";
export * from "./delivery-message";
export * from "./withdraw-delivery";
