// Test hook for the kill-and-resume tests: when the environment variable TPT_CRASH_AT names
// this point ("think.stored", or "think.stored@3" for its third visit), the process sends
// itself SIGKILL there — no destructor, no flush, exactly a power cut or an OOM kill. With
// TPT_CRASH_SIGNAL=SEGV it dies of SIGSEGV instead, as a crash would (the run's failure record
// then says so). Unset (always, outside those tests) it costs one cached lookup.
#pragma once

namespace tpt::run {

void crash_point(const char* name);

}  // namespace tpt::run
