// Placeholder until src/net lands.
export {};
