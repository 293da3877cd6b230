-- Operator view: how long calls take, per UTC day, route and provider.
--
-- latency_ms is the whole call as its writer saw it: from the request's start to the end of the
-- answer (a stream's last event), so it grows with the length of the answer.
--
-- Answered calls only. A failed call (error_code set, as ops_requests_hourly counts errors) is
-- left out: its latency is the time to fail, which is either very short (a refusal upstream) or
-- the timeout itself, and would blur what users wait for an answer; the failures themselves
-- are in ops_requests_hourly. Rows without a latency are left out too. A day, route and
-- provider with no answered, timed call has no row.
--
-- percentile_disc, not percentile_cont: each figure is a latency some call really had (whole
-- milliseconds, nothing to round), and "p95 = 900" reads as "95 % of answered calls took
-- 900 ms or less". percentile_cont would interpolate between neighbours, inventing values
-- that no call took, most visibly on a day with few calls. With fewer than 100 calls in a
-- group, p99 is its slowest call (and with fewer than 20, so is p95): timed_requests says how
-- much each figure rests on.
--
-- Same window, UTC days and lock-down as the other daily ops views: today and the 89 days
-- before it; security_invoker; service role only.

create view public.ops_latency_daily
with (security_invoker = true) as
select
  (created_at at time zone 'UTC')::date as day,
  route,
  provider,
  count(*) as timed_requests,
  percentile_disc(0.50) within group (order by latency_ms) as p50_ms,
  percentile_disc(0.95) within group (order by latency_ms) as p95_ms,
  percentile_disc(0.99) within group (order by latency_ms) as p99_ms
from public.usage_events
where created_at >= (((now() at time zone 'UTC')::date - 89)::timestamp at time zone 'UTC')
  and latency_ms is not null
  and error_code is null
group by 1, 2, 3
order by 1 desc, 2, 3;

comment on view public.ops_latency_daily is
  'Latency (ms) of answered calls per UTC day, route and provider over the last 90 days: p50, p95, p99 (percentile_disc) and how many calls they rest on.';

-- Service role only, as the other ops views (20261124000100_ops_views.sql): Supabase's default
-- privileges grant new views in `public` to anon and authenticated; take that back.
revoke all on table public.ops_latency_daily from public, anon, authenticated, service_role;
grant select on table public.ops_latency_daily to service_role;
