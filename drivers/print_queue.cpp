// SPDX-License-Identifier: Apache-2.0
// A printer's queue: its jobs in memory, one attempt at a time on the
// printer's own worker (AskStatus, then the owner's bytes, then SendJob),
// and the loop's timer for what waits. Everything but the worker's two
// blocking calls runs on the loop.
#include <algorithm>
#include <deque>

#include "drivers.hpp"

namespace sa::drivers {

struct PrintQueue::Impl : std::enable_shared_from_this<Impl> {
  struct Job {
    JobView view;
    QueueJob owner;
    std::int64_t queued_at_ms = 0;
    std::vector<std::function<void(const JobView&)>> waiting;  // one-shot: the next attempt
  };

  Impl(loop::EventLoop& l, QueueOptions o, const Clock& c)
      : loop(l), options(std::move(o)), clock(c), timer(l) {}

  loop::EventLoop& loop;
  QueueOptions options;
  const Clock& clock;
  loop::Timer timer;
  std::unique_ptr<loop::Workers> worker;  // one thread: one attempt at a time
  PrinterStatus status;
  std::int64_t checked_at_ms = 0;
  std::deque<Job> jobs;  // oldest first
  std::uint64_t next_id = 1;
  std::uint64_t nudged = 0;  // a job to try before the oldest waiting one
  bool busy = false;         // the worker has a status query or a job
  bool closed = false;

  Job* Find(std::uint64_t id) {
    for (Job& j : jobs) {
      if (j.view.id == id) return &j;
    }
    return nullptr;
  }

  std::weak_ptr<Impl> Weak() { return weak_from_this(); }

  void Seen(const PrinterStatus& st) {
    status = st;
    checked_at_ms = clock.now_ms();
  }

  // Tells the owner and whoever waits for this attempt how the job stands.
  void Tell(std::uint64_t id) {
    Job* job = Find(id);
    if (!job) return;
    const JobView view = job->view;
    auto waiting = std::move(job->waiting);
    job->waiting.clear();
    auto attempted = job->owner.attempted;
    if (attempted) attempted(view);
    for (auto& w : waiting) w(view);
  }

  void Set(Job& job, JobState state, std::string reason, std::string detail) {
    job.view.state = state;
    job.view.reason = std::move(reason);
    job.view.detail = std::move(detail);
    job.view.at_ms = clock.now_ms();
  }

  // An attempt that did not print: the job waits again (retry) or fails.
  void NotPrinted(Job& job, std::string reason, std::string detail) {
    ++job.view.attempts;
    Set(job, job.owner.retry ? JobState::queued : JobState::failed, std::move(reason),
        std::move(detail));
  }

  // Keeps the last `capacity` jobs: the oldest finished one goes, else the
  // oldest waiting one (failed as dropped; its bytes were never made).
  void Trim() {
    while (jobs.size() > std::max<std::size_t>(options.capacity, 1)) {
      auto finished = std::find_if(jobs.begin(), jobs.end(), [](const Job& j) {
        return j.view.state == JobState::printed || j.view.state == JobState::failed;
      });
      if (finished != jobs.end()) {
        jobs.erase(finished);
        continue;
      }
      auto waiting = std::find_if(jobs.begin(), jobs.end(),
                                  [](const Job& j) { return j.view.state == JobState::queued; });
      if (waiting == jobs.end()) return;
      Set(*waiting, JobState::failed, "dropped",
          "the queue keeps " + std::to_string(options.capacity) + " jobs");
      const std::uint64_t id = waiting->view.id;
      Tell(id);
      jobs.erase(
          std::find_if(jobs.begin(), jobs.end(), [id](const Job& j) { return j.view.id == id; }));
    }
  }

  Job* Next() {
    if (Job* n = Find(nudged); n && n->view.state == JobState::queued) return n;
    for (Job& j : jobs) {
      if (j.view.state == JobState::queued) return &j;
    }
    return nullptr;
  }

  bool AnyWaiting() const {
    return std::any_of(jobs.begin(), jobs.end(),
                       [](const Job& j) { return j.view.state == JobState::queued; });
  }

  // The next wait: a waiting job is tried again after retry_ms; an idle
  // printer is asked again after poll_ms.
  void Arm() {
    if (closed) return;
    auto weak = Weak();
    if (AnyWaiting()) {
      timer.After(std::chrono::milliseconds(std::max(options.retry_ms, 10)), [weak] {
        if (auto self = weak.lock()) self->Pump();
      });
    } else if (options.poll_ms > 0) {
      timer.After(std::chrono::milliseconds(options.poll_ms), [weak] {
        if (auto self = weak.lock()) self->Poll();
      });
    }
  }

  void Poll() {
    if (closed || busy) return;
    busy = true;
    auto weak = Weak();
    worker->Run<PrinterStatus>([printer = options.printer] { return AskStatus(printer); },
                               [weak](PrinterStatus st) {
                                 auto self = weak.lock();
                                 if (!self || self->closed) return;
                                 self->busy = false;
                                 self->Seen(st);
                                 self->Pump();
                               });
  }

  // Tries the next waiting job, if the worker is free.
  void Pump() {
    if (closed || busy) return;
    Job* job = Next();
    if (!job) return Arm();
    nudged = 0;
    const std::uint64_t id = job->view.id;
    if (options.give_up_ms > 0 && clock.now_ms() - job->queued_at_ms > options.give_up_ms) {
      Set(*job, JobState::failed, "gave_up",
          "waited " + std::to_string(options.give_up_ms / 60000) + " minutes for the printer");
      Tell(id);
      return Pump();
    }
    busy = true;
    if (!CanAskStatus(options.printer.target)) return MakeBytes(id);
    auto weak = Weak();
    worker->Run<PrinterStatus>([printer = options.printer] { return AskStatus(printer); },
                               [weak, id](PrinterStatus st) {
                                 if (auto self = weak.lock(); self && !self->closed)
                                   self->Checked(id, st);
                               });
  }

  void Checked(std::uint64_t id, const PrinterStatus& st) {
    Seen(st);
    Job* job = Find(id);
    if (!job) {
      busy = false;
      return Pump();
    }
    if (st.blocks_printing()) {
      busy = false;
      const bool retry = job->owner.retry;
      NotPrinted(*job, std::string(Name(st.state)), st.detail);
      Tell(id);
      // A job that fails for good leaves the others waiting: try the next,
      // which asks again; one that waits is tried after retry_ms.
      return retry ? Arm() : Pump();
    }
    MakeBytes(id);
  }

  void MakeBytes(std::uint64_t id) {
    Job* job = Find(id);
    if (!job || !job->owner.make_bytes) {
      busy = false;
      return Pump();
    }
    auto weak = Weak();
    job->owner.make_bytes([weak, id](Expected<std::string> bytes) {
      auto self = weak.lock();
      if (!self || self->closed) return;
      self->Send(id, std::move(bytes));
    });
  }

  void Send(std::uint64_t id, Expected<std::string> bytes) {
    Job* job = Find(id);
    if (!job) {
      busy = false;
      return Pump();
    }
    if (!bytes) {
      busy = false;
      ++job->view.attempts;
      Set(*job, JobState::failed, bytes.error().code, bytes.error().message);
      Tell(id);
      return Pump();
    }
    job->view.bytes = bytes->size();
    Set(*job, JobState::printing, "", "");
    // A printer that did not answer before the job is not waited for after it.
    const bool ask_after = status.state != PrinterState::unknown;
    auto weak = Weak();
    worker->Run<SentJob>([printer = options.printer, bytes = std::move(bytes).value(),
                          ask_after] { return SendJob(printer, bytes, ask_after); },
                         [weak, id](SentJob sent) {
                           if (auto self = weak.lock(); self && !self->closed)
                             self->Sent(id, std::move(sent));
                         });
  }

  void Sent(std::uint64_t id, SentJob sent) {
    busy = false;
    if (sent.error) {
      PrinterStatus st;
      st.state = PrinterState::offline;
      st.detail = sent.error->message;
      Seen(st);
    } else if (sent.after.state != PrinterState::unknown || !CanAskStatus(options.printer.target)) {
      Seen(sent.after);
    }
    Job* job = Find(id);
    if (!job) return Pump();
    if (sent.error) {
      auto not_taken = job->owner.not_taken;
      if (not_taken) not_taken();
      job = Find(id);
      if (!job) return Pump();
      NotPrinted(*job, sent.error->reason.empty() ? "offline" : sent.error->reason,
                 sent.error->message);
      Tell(id);
      return Arm();
    }
    ++job->view.attempts;
    Set(*job, JobState::printed, "", "");
    Tell(id);
    Pump();  // the next waiting job, now that the printer takes them
  }
};

PrintQueue::PrintQueue(loop::EventLoop& loop, QueueOptions options, const Clock& clock)
    : impl_(std::make_shared<Impl>(loop, std::move(options), clock)) {
  impl_->status.detail = "not asked yet";
}

PrintQueue::~PrintQueue() { Close(); }

void PrintQueue::Start() {
  if (impl_->worker || impl_->closed) return;
  impl_->worker = std::make_unique<loop::Workers>(impl_->loop, 1);
  impl_->Poll();
}

void PrintQueue::Close() {
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->timer.Cancel();
  impl_->worker.reset();
}

void PrintQueue::Add(QueueJob job, std::function<void(const JobView&)> first) {
  Impl& q = *impl_;
  if (q.closed || !q.worker) {
    JobView view;
    view.label = job.label;
    view.state = JobState::failed;
    view.reason = "offline";
    view.detail = "the printer is closed";
    view.at_ms = q.clock.now_ms();
    if (first) first(view);
    return;
  }
  for (Impl::Job& waiting : q.jobs) {
    const bool open =
        waiting.view.state == JobState::queued || waiting.view.state == JobState::printing;
    if (open && waiting.view.label == job.label) {
      if (first) waiting.waiting.push_back(std::move(first));
      if (waiting.view.state == JobState::queued) q.nudged = waiting.view.id;
      q.Pump();
      return;
    }
  }
  Impl::Job added;
  added.view.id = q.next_id++;
  added.view.label = job.label;
  added.view.at_ms = q.clock.now_ms();
  added.queued_at_ms = added.view.at_ms;
  added.owner = std::move(job);
  if (first) added.waiting.push_back(std::move(first));
  const std::uint64_t id = added.view.id;
  q.jobs.push_back(std::move(added));
  q.Trim();
  q.nudged = id;
  q.Pump();
}

QueueStatus PrintQueue::status() const {
  const Impl& q = *impl_;
  QueueStatus out{q.options.name, q.options.printer.target, q.status, q.checked_at_ms, {}};
  for (const auto& j : q.jobs) out.jobs.push_back(j.view);
  return out;
}

}  // namespace sa::drivers
