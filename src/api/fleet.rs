//! Every site of the account at once: filling the cache for a fleet.

use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::api::stats::StatsQuery;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::fetched::Source;
use crate::ids::SiteId;

/// Where a fleet sync stands, after each request of any site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetProgress {
    /// Sites done (synced or failed).
    pub sites_done: usize,
    /// Sites of the account.
    pub sites: usize,
    /// Requests done, over the sites begun.
    pub requests_done: usize,
    /// Requests planned so far, over the sites begun.
    pub requests_planned: usize,
}

/// How one site's sync went.
#[derive(Debug)]
#[non_exhaustive]
pub struct SiteSync {
    /// The site.
    pub site: SiteId,
    /// Its name, as the installations list gives it.
    pub name: Option<String>,
    /// Requests the site cost (0: all cached already).
    pub requests: u32,
    /// Points the window holds now.
    pub points: usize,
    /// Where its answer came from; `None` when it failed.
    pub source: Option<Source>,
    /// How long it took.
    pub elapsed: Duration,
    /// Why it failed, if it did; the other sites went on.
    pub error: Option<Error>,
}

/// What a fleet sync did, site by site, in the order of the installations list.
#[derive(Debug)]
#[non_exhaustive]
pub struct FleetReport {
    /// One entry per site.
    pub sites: Vec<SiteSync>,
    /// Every request made, the installations list included.
    pub requests: u32,
    /// How long the whole sync took.
    pub elapsed: Duration,
}

impl FleetReport {
    /// The sites that failed.
    pub fn failures(&self) -> impl Iterator<Item = &SiteSync> {
        self.sites.iter().filter(|s| s.error.is_some())
    }

    /// Points held over all sites.
    pub fn points(&self) -> usize {
        self.sites.iter().map(|s| s.points).sum()
    }
}

/// What a site's worker reports to the calling thread.
enum Event {
    Progress {
        index: usize,
        done: usize,
        planned: usize,
    },
    Done(usize, Box<SiteSync>),
}

impl Client {
    /// Fill the cache with `query` (its window, interval and codes) for
    /// every site of the account: the sites go several at a time (a third
    /// of [`ClientBuilder::parallel_requests`](crate::ClientBuilder::parallel_requests),
    /// 4 by default), each with its chunks in parallel too, and every request through the
    /// one rate limiter, so a fleet takes VRM's burst and then about 3
    /// requests a second, never more. A site that fails is reported and
    /// the others go on. It resumes: what the cache holds is not asked
    /// again, so a second run fetches only what is missing.
    ///
    /// `progress` is called on the calling thread after each request.
    ///
    /// # Errors
    /// Only the installations list failing (each site's own failure is in
    /// its [`SiteSync`]); [`Error::InvalidInput`] for a query that is
    /// refused before any request.
    pub fn sync_fleet(
        &self,
        query: &StatsQuery,
        progress: &mut dyn FnMut(FleetProgress),
    ) -> Result<FleetReport> {
        query.validate()?;
        let started = self.engine().now();
        let listed = self.installations()?;
        let sites: Vec<(SiteId, Option<String>)> = listed
            .value()
            .iter()
            .map(|i| (i.id_site, i.name.clone()))
            .collect();
        let jobs = Mutex::new((0..sites.len()).collect::<std::collections::VecDeque<_>>());
        // A third as many sites as chunks in flight: enough to keep VRM's
        // window busy, few enough threads for a small device.
        let workers = (self.engine().parallel / 3).clamp(1, sites.len().max(1));
        let mut results: Vec<Option<SiteSync>> = (0..sites.len()).map(|_| None).collect();
        let mut counts = vec![(0usize, 0usize); sites.len()];
        let (events, arrived) = mpsc::channel::<Event>();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let events = events.clone();
                let (jobs, sites) = (&jobs, &sites);
                scope.spawn(move || {
                    loop {
                        let next = jobs
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop_front();
                        let Some(index) = next else { break };
                        let (site, name) = sites[index].clone();
                        let begun = self.engine().now();
                        let answer =
                            self.site(site)
                                .stats_with_progress(query, &mut |done, planned| {
                                    let _ = events.send(Event::Progress {
                                        index,
                                        done,
                                        planned,
                                    });
                                });
                        let elapsed =
                            Duration::try_from(self.engine().now() - begun).unwrap_or_default();
                        let report = match answer {
                            Ok(stats) => SiteSync {
                                site,
                                name,
                                requests: stats.requests(),
                                points: stats.point_count(),
                                source: Some(stats.source()),
                                elapsed,
                                error: None,
                            },
                            Err(error) => SiteSync {
                                site,
                                name,
                                requests: 0,
                                points: 0,
                                source: None,
                                elapsed,
                                error: Some(error),
                            },
                        };
                        if events.send(Event::Done(index, Box::new(report))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(events);
            let mut sites_done = 0;
            for event in arrived {
                match event {
                    Event::Progress {
                        index,
                        done,
                        planned,
                    } => counts[index] = (done, planned.max(done)),
                    Event::Done(index, report) => {
                        sites_done += 1;
                        results[index] = Some(*report);
                    }
                }
                progress(FleetProgress {
                    sites_done,
                    sites: sites.len(),
                    requests_done: counts.iter().map(|c| c.0).sum(),
                    requests_planned: counts.iter().map(|c| c.1).sum(),
                });
            }
        });
        let sites: Vec<SiteSync> = results.into_iter().flatten().collect();
        let requests = listed
            .requests()
            .saturating_add(sites.iter().map(|s| s.requests).sum());
        Ok(FleetReport {
            sites,
            requests,
            elapsed: Duration::try_from(self.engine().now() - started).unwrap_or_default(),
        })
    }
}
