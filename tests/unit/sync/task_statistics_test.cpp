#include <grin/sync/task_statistics.hpp>

#include <gtest/gtest.h>

using namespace grin::sync;

TEST(task_statistics, the_table_flags_failures_like_the_reference) {
    task_statistics stats;
    for (int i = 0; i < 480; ++i)
        stats.add(task::check, task_result::completed);
    for (int i = 0; i < 20; ++i)
        stats.add(task::check, task_result::skipped);
    stats.add(task::check, task_result::needs_conversion);
    for (int i = 0; i < 478; ++i)
        stats.add(task::download, task_result::completed);
    stats.add(task::download, task_result::failed);
    stats.add(task::download, task_result::failed);
    for (int i = 0; i < 3; ++i)
        stats.add(task::decrypt, task_result::failed);
    EXPECT_EQ(stats.counts(task::download).started, 480u);
    EXPECT_EQ(stats.counts(task::upload).started, 0u);
    EXPECT_EQ(stats.table(), "  ✓ check 501/501 (100.0%) (480 completed, 20 skipped)\n"
                             "  → check 1 books need conversion\n"
                             "  ⚠️  WARNING:  download 478/480 (99.6%) - 2 failed\n"
                             "  ❌ CRITICAL: decrypt 0/3 (0.0%) - ALL FAILED\n");
}
