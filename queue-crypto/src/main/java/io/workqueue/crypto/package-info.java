/**
 * Encryption for WorkQueue with Google Tink: {@link io.workqueue.crypto.TinkKeyProvider} seals
 * every task's value, token and outcome with its owner's AES-256-GCM keyset, kept encrypted under a
 * {@link io.workqueue.crypto.MasterKey} in a {@link io.workqueue.crypto.KeysetStore}.
 *
 * <p>Stores: {@link io.workqueue.crypto.InMemoryKeysetStore} (tests), {@link
 * io.workqueue.crypto.DirectoryKeysetStore} (one file per owner) and {@link
 * io.workqueue.crypto.CassandraKeysetStore} (a Cassandra table; needs the Cassandra Java driver on
 * the classpath, which this module declares optional).
 *
 * <p><b>What is protected, from whom.</b> Task values, tokens and outcomes leave the process only
 * sealed (AES-256-GCM, bound to owner, queue, index, field and worker by associated data), so
 * whoever reads or copies Cassandra, Redis or the keyset store alone learns nothing of them and
 * cannot move, swap or alter a ciphertext unnoticed. Keysets at rest are encrypted under the master
 * key and bound to their owner. <b>Not protected:</b> anyone holding the master key (or able to use
 * it in the KMS) together with the keyset store can open everything not yet destroyed; this process
 * holds keys and plaintext in memory; metadata stays in the clear (owner and queue ids, indices,
 * times, payload sizes, key ids); someone who can write to the keyset store can deny service
 * (delete or roll back keysets, drop a tombstone so an owner gets a fresh key); a destroy reaches
 * other nodes only within their cache expiry, and copies made before it (backups, Cassandra
 * SSTables before compaction, file-system blocks) still hold the old keyset under the master key.
 */
@NullMarked
package io.workqueue.crypto;

import org.jspecify.annotations.NullMarked;
