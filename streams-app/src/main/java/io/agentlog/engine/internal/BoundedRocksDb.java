package io.agentlog.engine.internal;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * RocksDB within one memory budget per engine process. By default every store of every task gets its own 16 MB
 * memtables and block cache (the engine has five stores per partition: 30 RocksDB instances on 6 partitions), which
 * is hundreds of MB off-heap on a small machine. Here all instances share one block cache, and their memtables count
 * against it through one write buffer manager; index and filter blocks live in the cache too.
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {

    /** Block cache and memtables of all stores together. */
    static final long TOTAL_BYTES = 64L * 1024 * 1024;

    static final long MEMTABLE_BYTES = 16L * 1024 * 1024;
    static final long WRITE_BUFFER_BYTES = 2L * 1024 * 1024;

    /** Created when the first store opens (RocksDB's native library is loaded by then), shared by all. */
    private static final class Shared {
        static final Cache CACHE;
        static final WriteBufferManager WRITE_BUFFERS;

        static {
            RocksDB.loadLibrary();
            CACHE = new LRUCache(TOTAL_BYTES, -1, false, 0.1);
            WRITE_BUFFERS = new WriteBufferManager(MEMTABLE_BYTES, CACHE);
        }
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(Shared.CACHE);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(Shared.WRITE_BUFFERS);
        options.setWriteBufferSize(WRITE_BUFFER_BYTES);
        options.setMaxWriteBufferNumber(3);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write buffer manager are shared by every store: never closed here
    }
}
