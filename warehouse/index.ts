export { getWarehouse, toWarehouseError, quoteIdentifier, toClickHouseDateTime, type Warehouse, type WarehouseOptions } from './warehouse.ts';
export { migrate, loadMigrations, splitStatements, migrationsDir, type Migration, type MigrateOptions, type MigrateResult } from './migrate.ts';
export { ClusterDdl } from './cluster-ddl.ts';
