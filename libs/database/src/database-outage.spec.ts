import { isDatabaseOutage, isOutageSqlState } from './database-outage';

/** Builds errors the way the stack does; the shapes were taken from a Postgres stopped and started under queries. */
function named(name: string, message: string, extra: object = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, extra);
}
const adapterError = (cause: object) => named('DriverAdapterError', String((cause as { message?: string }).message ?? ''), { cause });
const postgresCause = (code: string, message: string) => ({ originalCode: code, originalMessage: message, kind: 'postgres', code, severity: 'FATAL', message });
const known = (code: string, message: string, driverCause?: object) =>
  named('PrismaClientKnownRequestError', message, { code, meta: driverCause ? { driverAdapterError: { name: 'DriverAdapterError', cause: driverCause } } : {} });

describe('isDatabaseOutage', () => {
  it.each([
    ['Postgres shutting down (57P03)', adapterError(postgresCause('57P03', 'the database system is shutting down'))],
    ['Postgres starting up (57P03)', adapterError(postgresCause('57P03', 'the database system is starting up'))],
    ['Postgres not yet accepting connections (57P03)', adapterError(postgresCause('57P03', 'the database system is not yet accepting connections'))],
    ['an admin shutdown (57P01)', adapterError(postgresCause('57P01', 'terminating connection due to administrator command'))],
    ['too many connections (53300)', adapterError(postgresCause('53300', 'sorry, too many clients already'))],
    ['a connection exception (08006)', adapterError(postgresCause('08006', 'connection failure'))],
    ['Prisma P1001, unreachable', known('P1001', "Can't reach database server at 127.0.0.1:5432", { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['Prisma P1017, connection closed', known('P1017', 'Server has closed the connection.', { kind: 'ConnectionClosed' })],
    ['Prisma P2024, pool timeout', known('P2024', 'Timed out fetching a new connection from the connection pool.')],
    ['a raw query whose connection closed (P2010 + ConnectionClosed)', known('P2010', 'Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`', { kind: 'ConnectionClosed' })],
    ['a raw query on a server starting up (P2010 + 57P03)', known('P2010', 'Raw query failed. Code: `57P03`.', postgresCause('57P03', 'the database system is starting up'))],
    ['a socket timeout kind', adapterError({ kind: 'SocketTimeout' })],
    ['Prisma failing to start', named('PrismaClientInitializationError', 'Can not connect')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg: a client with a connection error', new Error('Client has encountered a connection error and is not queryable')],
    ['pg-pool: a connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a refused socket as the cause', new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })],
  ])('%s is an outage', (_, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
  });

  it.each([
    ['a bad uuid (22P02)', adapterError({ ...postgresCause('22P02', 'invalid input syntax for type uuid: "x"'), severity: 'ERROR' })],
    ['a unique violation (P2002)', known('P2002', 'Unique constraint failed on the fields: (`name`)')],
    ['a record not found (P2025)', known('P2025', 'No record was found for an update.')],
    ['an unsupported column type', known('P2010', 'Failed to deserialize column of type void', { kind: 'UnsupportedNativeDataType', type: 'void' })],
    ['a serialization failure (40001)', adapterError({ ...postgresCause('40001', 'could not serialize access'), severity: 'ERROR' })],
    ['a validation error', named('PrismaClientValidationError', 'Argument `where` is missing.')],
    ['a message that only mentions a code', new Error('the text P1001 or 57P01 or ECONNREFUSED in a user-supplied name')],
    ['nothing at all', undefined],
    ['a string', 'Connection terminated'],
  ])('%s is not an outage', (_, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
  });

  it('stops walking a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isDatabaseOutage(a)).toBe(false);
  });

  it('knows the SQLSTATE classes', () => {
    expect(['08000', '08003', '08006', '08P01', '53300', '57P01', '57P02', '57P03'].every(isOutageSqlState)).toBe(true);
    expect(['57P04', '57014', '23505', '40001', '22P02', 8006, undefined].some(isOutageSqlState)).toBe(false);
  });
});
