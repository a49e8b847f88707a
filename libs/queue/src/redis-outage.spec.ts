import { isRedisConnectionLost, isRedisOutage } from './redis-outage';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('isRedisOutage', () => {
  it.each([
    ['a closed connection (ioredis)', new Error('Connection is closed.')],
    ['no offline queue while reconnecting', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a command past its timeout', new Error('Command timed out')],
    ['retries used up', named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.')],
    ['a cluster with no reachable node', named('ClusterAllFailedError', 'Failed to refresh slots cache.')],
    ['sentinels unreachable', new Error('All sentinels are unreachable. Retrying from scratch after 10ms.')],
    ['Redis loading its data', named('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['a write to a demoted master', named('ReplyError', "READONLY You can't write against a read only replica.")],
    ['a cluster that is down', named('ReplyError', 'CLUSTERDOWN The cluster is down')],
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })],
    ['the queue not taking a job in time', named('QueueUnavailableError', 'Redis did not accept the render job within 2000 ms')],
  ])('%s is an outage', (_, error) => {
    expect(isRedisOutage(error)).toBe(true);
  });

  it.each([
    ['a wrong type', named('ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a script error', named('ReplyError', 'ERR Error running script')],
    ['a message that merely mentions a closed connection', new Error('Diagram "Connection is closed" not found')],
    ['nothing', null],
  ])('%s is not an outage', (_, error) => {
    expect(isRedisOutage(error)).toBe(false);
  });
});

describe('isRedisConnectionLost', () => {
  it('is the connection gone, not a timeout or a redirection of a blocking read', () => {
    expect(isRedisConnectionLost(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionLost(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRedisConnectionLost(new Error('Command timed out'))).toBe(false);
    expect(isRedisConnectionLost(Object.assign(new Error('CLUSTERDOWN The cluster is down'), { name: 'ReplyError' }))).toBe(false);
  });
});
