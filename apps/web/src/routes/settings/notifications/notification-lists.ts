/**
 * The list inputs the notification settings pages and their loaders share (one query
 * key each). Channels and templates are few: one page of 100 feeds both the lists and
 * the pickers of the rule form.
 */
export const CHANNELS_LIST_INPUT = { page: 1, pageSize: 100 };
export const TEMPLATES_LIST_INPUT = { page: 1, pageSize: 100 };
export const RULES_LIST_INPUT = { page: 1, pageSize: 100 };
