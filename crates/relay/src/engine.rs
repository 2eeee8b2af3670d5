//! The lease engine: one writer thread owns the lease database and the leases in memory. Requests
//! queue up while a batch commits; the next batch takes them all and commits them in one
//! transaction (one fsync: group commit), so seats are counted exactly under any concurrency and
//! nothing is answered before it is on disk.
//!
//! Two clocks decide expiry. A lease is freed only when the wall clock has passed its `exp` and,
//! on the monotonic clock, a whole TTL has passed since its last renewal (or since the relay
//! started, for leases it found on disk): moving the wall clock forward does not free seats.
//! Moving it back past the clock floor's tolerance stops every grant until it is right again.

use crate::pools::Pool;
use crate::store::{LeaseEvent, LogEntry, LogHead, Store, StoredLease};
use licet_verifier::{MachineId, UnixTime};
use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The relay's clock: wall time, for the tests' sake replaceable.
pub type Clock = Arc<dyn Fn() -> UnixTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(UnixTime::now)
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// A lease's lifetime without renewal.
    pub ttl: Duration,
    /// How far the clock may go back behind the floor before grants stop.
    pub clock_tolerance_secs: u32,
    /// How often leases are checked for expiry when no request comes.
    pub sweep_interval: Duration,
    /// Requests waiting at most; more are refused at once (503) rather than queued without bound.
    pub queue_capacity: usize,
    /// Requests in one batch at most.
    pub max_batch: usize,
}

impl EngineSettings {
    /// Settings for a TTL: sweeps at a tenth of it (between 10 ms and 1 s).
    pub fn for_ttl(ttl: Duration, clock_tolerance_secs: u32) -> Self {
        EngineSettings {
            ttl,
            clock_tolerance_secs,
            sweep_interval: (ttl / 10).clamp(Duration::from_millis(10), Duration::from_secs(1)),
            queue_capacity: 16_384,
            max_batch: 1_024,
        }
    }
}

/// A lease granted or renewed: what the answer's token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The pool's index among the pools served.
    pub pool: usize,
    /// The lease id (the same across renewals).
    pub lease_id: String,
    /// When this grant or renewal happened.
    pub issued_at: UnixTime,
    /// When the lease ends unless renewed.
    pub expires_at: UnixTime,
    /// A renewal of a lease the machine held (200), not a new one (201).
    pub renewed: bool,
}

/// Why a request got no lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Every seat is taken (410).
    NoSeat(String),
    /// No pool answers to the name asked for (404).
    UnknownPool(String),
    /// The machine holds no lease (404, release only).
    NotHeld(String),
    /// The clock is behind the floor (503).
    ClockBehind(String),
    /// The database failed or the queue is full (503).
    Unavailable(String),
}

/// What one pool has out now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUsage {
    /// Leases out.
    pub in_use: usize,
}

/// What `/v1/status` and `/v1/health` read without waiting for the writer.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Per pool, in the order served.
    pub pools: Vec<PoolUsage>,
    /// The clock floor (Unix seconds).
    pub clock_floor: i64,
    /// Set while the clock is behind the floor: why nothing is granted.
    pub clock_behind: Option<String>,
    /// The log's head after the last batch.
    pub log_head: Option<LogHead>,
    /// Set when the writer stopped: why nothing is granted until a restart.
    pub stopped: Option<String>,
}

enum Job {
    Acquire {
        machine: MachineId,
        pool: Option<String>,
        reply: oneshot::Sender<Result<Granted, Refusal>>,
    },
    Release {
        machine: MachineId,
        pool: Option<String>,
        reply: oneshot::Sender<Result<usize, Refusal>>,
    },
}

/// The handle requests go through. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    jobs: SyncSender<Job>,
    snapshot: Arc<Mutex<Snapshot>>,
}

struct Held {
    lease_id: String,
    granted_at: i64,
    expires_at: i64,
    /// Not freed before this instant (monotonic), whatever the wall clock says.
    deadline: Instant,
    /// Given back: not renewed, still counted until its last token expires.
    released: bool,
}

struct Writer {
    store: Store,
    pools: Arc<Vec<Pool>>,
    settings: EngineSettings,
    clock: Clock,
    held: Vec<HashMap<MachineId, Held>>,
    floor: i64,
    head: LogHead,
    snapshot: Arc<Mutex<Snapshot>>,
    /// Set when memory could not be brought back in line with the database after a failed
    /// batch: the writer then stops rather than count seats from leases that may not be there.
    stopped: Option<String>,
}

impl Engine {
    /// Starts the writer thread on `store`, loading the leases it holds.
    pub fn start(
        store: Store,
        pools: Arc<Vec<Pool>>,
        settings: EngineSettings,
        clock: Clock,
    ) -> Result<Self, crate::error::RelayError> {
        let (jobs, queue) = mpsc::sync_channel(settings.queue_capacity.max(1));
        let snapshot = Arc::new(Mutex::new(Snapshot::default()));
        let mut writer = Writer {
            store,
            pools,
            settings,
            clock,
            held: Vec::new(),
            floor: 0,
            head: LogHead {
                seq: 0,
                hash: crate::store::GENESIS_HASH.into(),
            },
            snapshot: snapshot.clone(),
            stopped: None,
        };
        writer.reload()?;
        writer.publish(None);
        std::thread::Builder::new()
            .name("licet-relay-writer".into())
            .spawn(move || writer.run(queue))?;
        Ok(Engine { jobs, snapshot })
    }

    /// Takes or renews a seat for `machine`, from the pool named (license id or product), else
    /// from any pool with a free seat (the machine's own lease first).
    pub async fn acquire(
        &self,
        machine: MachineId,
        pool: Option<String>,
    ) -> Result<Granted, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Acquire {
            machine,
            pool,
            reply,
        })?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Gives back the machine's leases (of the pool named, else of every pool); the number freed.
    pub async fn release(
        &self,
        machine: MachineId,
        pool: Option<String>,
    ) -> Result<usize, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Release {
            machine,
            pool,
            reply,
        })?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn submit(&self, job: Job) -> Result<(), Refusal> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Refusal::Unavailable(
                "the relay has too many requests waiting; try again in a moment".into(),
            ),
            TrySendError::Disconnected(_) => stopped(),
        })
    }
}

fn stopped() -> Refusal {
    Refusal::Unavailable("the relay's lease writer stopped (see the relay's log)".into())
}

impl Writer {
    fn reload(&mut self) -> Result<(), crate::error::RelayError> {
        // Leases read from disk are held a whole TTL from now: the monotonic clock of the run
        // that granted them is gone, and the wall clock alone could be set forward.
        let grace_end = Instant::now() + self.settings.ttl;
        let mut held: Vec<HashMap<MachineId, Held>> =
            self.pools.iter().map(|_| HashMap::new()).collect();
        for lease in self.store.leases()? {
            let Some(index) = self.pools.iter().position(|p| p.id() == lease.pool) else {
                // A lease of a pool no longer served: kept on disk, counted nowhere.
                continue;
            };
            let Ok(machine) = MachineId::parse(&lease.machine_id) else {
                continue;
            };
            held[index].insert(
                machine,
                Held {
                    lease_id: lease.lease_id,
                    granted_at: lease.granted_at,
                    expires_at: lease.expires_at,
                    deadline: grace_end,
                    released: lease.released,
                },
            );
        }
        self.held = held;
        self.floor = self.store.clock_floor()?;
        self.head = self.store.log_head()?;
        Ok(())
    }

    fn publish(&self, clock_behind: Option<String>) {
        if let Ok(mut snapshot) = self.snapshot.lock() {
            snapshot.pools = self
                .held
                .iter()
                .map(|h| PoolUsage { in_use: h.len() })
                .collect();
            snapshot.clock_floor = self.floor;
            snapshot.clock_behind = clock_behind;
            snapshot.log_head = Some(self.head.clone());
        }
    }

    fn run(mut self, queue: Receiver<Job>) {
        loop {
            let first = match queue.recv_timeout(self.settings.sweep_interval) {
                Ok(job) => Some(job),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut jobs: Vec<Job> = first.into_iter().collect();
            while jobs.len() < self.settings.max_batch {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            if jobs.is_empty() && !self.anything_due() {
                continue;
            }
            self.batch(jobs);
            if let Some(why) = self.stopped.clone() {
                // Requests still queued get "the writer stopped" (their channel closes).
                if let Ok(mut snapshot) = self.snapshot.lock() {
                    snapshot.stopped = Some(why);
                }
                return;
            }
        }
    }

    fn anything_due(&self) -> bool {
        let now = (self.clock)().as_secs();
        let mono = Instant::now();
        self.held
            .iter()
            .flat_map(|h| h.values())
            .any(|h| now >= h.expires_at && mono >= h.deadline)
    }

    fn batch(&mut self, jobs: Vec<Job>) {
        let now = (self.clock)();
        let tolerance = i64::from(self.settings.clock_tolerance_secs);
        if now.as_secs() + tolerance < self.floor {
            let why = format!(
                "the relay's clock reads {now}, more than {tolerance} s before the latest time it acted at ({}): it grants nothing until the clock is right again",
                UnixTime::from_secs(self.floor).map(|t| t.to_string()).unwrap_or_default()
            );
            for job in jobs {
                reply_all(job, Refusal::ClockBehind(why.clone()));
            }
            self.publish(Some(why));
            return;
        }
        let mut outcome = Vec::with_capacity(jobs.len());
        let result = self.apply(now, &jobs, &mut outcome);
        match result {
            Ok(()) => {
                for (job, answer) in jobs.into_iter().zip(outcome) {
                    deliver(job, answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a lease batch could not be written; nothing in it was granted");
                if let Err(reload) = self.reload() {
                    tracing::error!(error = %reload, "the lease database could not be read back: the relay stops granting until it is restarted");
                    self.stopped = Some(format!(
                        "the lease database could not be written, then not read back ({reload}): restart the relay"
                    ));
                }
                for job in jobs {
                    reply_all(
                        job,
                        Refusal::Unavailable(
                            "the relay could not write its lease database (see its log)".into(),
                        ),
                    );
                }
            }
        }
        self.publish(None);
    }

    /// Applies the batch in memory and in one transaction; on error the caller reloads memory
    /// from the database, so both stay equal.
    fn apply(
        &mut self,
        now: UnixTime,
        jobs: &[Job],
        outcome: &mut Vec<Answer>,
    ) -> Result<(), crate::error::RelayError> {
        let at = now.as_secs();
        let mono = Instant::now();
        let ttl = self.settings.ttl;
        let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX).max(1);
        let mut head = self.head.clone();
        let batch = self.store.begin()?;
        let mut log = |event: LeaseEvent,
                       pool: &str,
                       machine: &MachineId,
                       lease_id: &str,
                       expires_at: Option<i64>| {
            let entry = LogEntry {
                seq: head.seq + 1,
                at,
                event,
                pool: pool.to_owned(),
                machine_id: machine.as_str().to_owned(),
                lease_id: lease_id.to_owned(),
                expires_at,
            };
            let hash = batch.append_log(&entry, &head.hash)?;
            head = LogHead {
                seq: entry.seq,
                hash,
            };
            Ok::<(), crate::error::RelayError>(())
        };

        // Expiry first: seats freed now are free for this batch's requests.
        for (index, held) in self.held.iter_mut().enumerate() {
            let pool = self.pools[index].id();
            let due: Vec<MachineId> = held
                .iter()
                .filter(|(_, h)| at >= h.expires_at && mono >= h.deadline)
                .map(|(m, _)| m.clone())
                .collect();
            for machine in due {
                if let Some(h) = held.remove(&machine) {
                    batch.delete_lease(pool, machine.as_str())?;
                    log(LeaseEvent::Expire, pool, &machine, &h.lease_id, None)?;
                }
            }
        }

        for job in jobs {
            let answer = match job {
                Job::Acquire { machine, pool, .. } => {
                    let candidates = candidates(&self.pools, pool.as_deref());
                    if candidates.is_empty() {
                        Answer::Acquired(Err(unknown_pool(pool.as_deref(), &self.pools)))
                    } else {
                        let live: Vec<usize> = candidates
                            .iter()
                            .copied()
                            .filter(|&i| self.pools[i].terms.expires_at.is_none_or(|e| e > now))
                            .collect();
                        let renewal = live
                            .iter()
                            .copied()
                            .find(|&i| self.held[i].contains_key(machine));
                        let fresh = live
                            .iter()
                            .copied()
                            .find(|&i| self.held[i].len() < self.pools[i].terms.seats as usize);
                        match renewal.or(fresh) {
                            Some(index) => {
                                let pool = &self.pools[index];
                                let end = pool
                                    .terms
                                    .expires_at
                                    .map_or(at + ttl_secs, |e| e.as_secs().min(at + ttl_secs));
                                let renewed = renewal.is_some();
                                let held =
                                    self.held[index].entry(machine.clone()).or_insert_with(|| {
                                        Held {
                                            lease_id: uuid::Uuid::new_v4().to_string(),
                                            granted_at: at,
                                            expires_at: end,
                                            deadline: mono + ttl,
                                            released: false,
                                        }
                                    });
                                held.expires_at = end;
                                held.deadline = mono + ttl;
                                held.released = false;
                                batch.put_lease(&StoredLease {
                                    pool: pool.id().to_owned(),
                                    machine_id: machine.as_str().to_owned(),
                                    lease_id: held.lease_id.clone(),
                                    granted_at: held.granted_at,
                                    expires_at: end,
                                    released: false,
                                })?;
                                let event = if renewed {
                                    LeaseEvent::Renew
                                } else {
                                    LeaseEvent::Grant
                                };
                                log(event, pool.id(), machine, &held.lease_id, Some(end))?;
                                Answer::Acquired(Ok(Granted {
                                    pool: index,
                                    lease_id: held.lease_id.clone(),
                                    issued_at: now,
                                    expires_at: UnixTime::from_secs(end).unwrap_or(now),
                                    renewed,
                                }))
                            }
                            None if live.is_empty() => {
                                Answer::Acquired(Err(Refusal::NoSeat(format!(
                                    "the pool license {} has expired: ask the vendor for a new one",
                                    describe_pools(&candidates, &self.pools)
                                ))))
                            }
                            None => Answer::Acquired(Err(Refusal::NoSeat(format!(
                                "every seat is taken: {}",
                                live.iter()
                                    .map(|&i| format!(
                                        "{} of {} in pool {}",
                                        self.held[i].len(),
                                        self.pools[i].terms.seats,
                                        self.pools[i].id()
                                    ))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )))),
                        }
                    }
                }
                Job::Release { machine, pool, .. } => {
                    let candidates = candidates(&self.pools, pool.as_deref());
                    if candidates.is_empty() {
                        Answer::Released(Err(unknown_pool(pool.as_deref(), &self.pools)))
                    } else {
                        let mut freed = 0;
                        for index in candidates {
                            // The seat is not free at once: the last token the machine got
                            // stays valid offline until its `exp`, so the seat stays counted
                            // until then (and is only no longer renewed). Else a machine could
                            // take a lease, give it back and let the next machine take the
                            // seat, again and again, with every token still valid.
                            if let Some(h) =
                                self.held[index].get_mut(machine).filter(|h| !h.released)
                            {
                                h.released = true;
                                let pool = self.pools[index].id();
                                batch.put_lease(&StoredLease {
                                    pool: pool.to_owned(),
                                    machine_id: machine.as_str().to_owned(),
                                    lease_id: h.lease_id.clone(),
                                    granted_at: h.granted_at,
                                    expires_at: h.expires_at,
                                    released: true,
                                })?;
                                log(
                                    LeaseEvent::Release,
                                    pool,
                                    machine,
                                    &h.lease_id,
                                    Some(h.expires_at),
                                )?;
                                freed += 1;
                            }
                        }
                        if freed == 0 {
                            Answer::Released(Err(Refusal::NotHeld(format!(
                                "machine {machine} holds no lease here"
                            ))))
                        } else {
                            Answer::Released(Ok(freed))
                        }
                    }
                }
            };
            outcome.push(answer);
        }
        let floor = self.floor.max(at);
        if floor != self.floor || head.seq != self.head.seq {
            batch.set_clock_floor(floor)?;
            batch.commit()?;
        } else {
            drop(batch);
        }
        self.floor = floor;
        self.head = head;
        Ok(())
    }
}

/// The pools a request naming `name` may take a seat from (all, when it names none).
fn candidates(pools: &[Pool], name: Option<&str>) -> Vec<usize> {
    (0..pools.len())
        .filter(|&i| name.is_none_or(|n| pools[i].answers_to(n)))
        .collect()
}

enum Answer {
    Acquired(Result<Granted, Refusal>),
    Released(Result<usize, Refusal>),
}

fn deliver(job: Job, answer: Answer) {
    match (job, answer) {
        (Job::Acquire { reply, .. }, Answer::Acquired(a)) => {
            let _ = reply.send(a);
        }
        (Job::Release { reply, .. }, Answer::Released(a)) => {
            let _ = reply.send(a);
        }
        (job, _) => reply_all(job, stopped()),
    }
}

fn reply_all(job: Job, refusal: Refusal) {
    match job {
        Job::Acquire { reply, .. } => {
            let _ = reply.send(Err(refusal));
        }
        Job::Release { reply, .. } => {
            let _ = reply.send(Err(refusal));
        }
    }
}

fn unknown_pool(name: Option<&str>, pools: &[Pool]) -> Refusal {
    Refusal::UnknownPool(format!(
        "no pool here answers to {}: this relay serves {}",
        licet_verifier::jws::quote(name.unwrap_or("")),
        pools
            .iter()
            .map(|p| match &p.terms.product {
                Some(product) => format!("{} (product {product})", p.id()),
                None => p.id().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn describe_pools(indices: &[usize], pools: &[Pool]) -> String {
    indices
        .iter()
        .map(|&i| pools[i].id().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
