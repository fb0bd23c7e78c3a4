/**
 * The queue's bookkeeping in Redis: {@link io.workqueue.redis.RedisBookkeeper}, a {@link
 * io.workqueue.spi.Bookkeeper} on Jedis 5 whose every read-then-write step is one Lua script over
 * one queue's hash-tagged keys, so it runs on a single Redis and on Redis Cluster alike.
 */
@NullMarked
package io.workqueue.redis;

import org.jspecify.annotations.NullMarked;
