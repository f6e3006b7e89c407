/** Tables of this area; merged into Tables in ../tables.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface UsageTables {}
