#include <grin/core/error.hpp>
#include <grin/run/session_lock.hpp>

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace grin;

TEST(session_lock, a_second_holder_is_refused_until_the_first_lets_go) {
    test::temp_dir dir;
    {
        run::session_lock first(dir.path());
        // flock locks belong to open file descriptions, so a second open in the same
        // process conflicts just as another process would.
        EXPECT_THROW(run::session_lock second(dir.path()), grin::fatal);
    }
    EXPECT_NO_THROW(run::session_lock again(dir.path()));
}

TEST(session_lock, another_process_holding_the_lock_is_named) {
    test::temp_dir dir;
    if (!test::have_program("flock"))
        GTEST_SKIP() << "flock(1) not installed";
    auto holder =
        test::run_command("flock -n " + (dir / "session.lock").string() + " sh -c 'touch " +
                          (dir / "held").string() + "; sleep 2' >/dev/null 2>&1 &");
    for (int i = 0; i < 50 && !std::filesystem::exists(dir / "held"); ++i)
        test::run_command("sleep 0.05");
    try {
        run::session_lock refused(dir.path());
        FAIL() << "expected the lock to be held by the other process";
    } catch (const grin::fatal& failure) {
        EXPECT_NE(std::string(failure.what()).find("another grin process"), std::string::npos);
    }
}
