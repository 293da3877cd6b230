-- Operator views over usage_events, and the figure the proxy's daily cost alert reads.
--
-- Readable by the service role only: anon and authenticated have no privilege on any of them.
-- The views are also `security_invoker`, so they read usage_events with the caller's rights and
-- row-level security: a role that were ever granted one by mistake would still see only its
-- own rows, never other users'. (The service role bypasses row-level security and sees all.)
--
-- Days and hours are UTC, whatever the session's time zone. Windows:
--   ops_active_users_24h    the last 24 hours, rolling
--   ops_requests_hourly     the current hour and the 167 before it (7 days)
--   ops_route_share_daily   today and the 89 days before it (UTC days)
--   ops_cost_daily          today and the 89 days before it (UTC days)
--   ops_top_users_30d       the last 30 days, rolling (720 hours), one row per user, by tokens
-- Rates and shares are fractions between 0 and 1, rounded to 4 decimal places.

-- Distinct users with at least one call, either route, in the last 24 hours.
create view public.ops_active_users_24h
with (security_invoker = true) as
select
  count(distinct user_id) as active_users,
  count(distinct user_id) filter (where route = 'proxy') as proxy_users,
  count(distinct user_id) filter (where route = 'direct') as direct_users
from public.usage_events
where created_at > now() - interval '24 hours';

comment on view public.ops_active_users_24h is
  'Distinct users with a call in the last 24 hours (all, via the proxy, direct).';

-- Calls and failed calls (error_code set) per UTC hour, newest first.
create view public.ops_requests_hourly
with (security_invoker = true) as
select
  date_trunc('hour', created_at, 'UTC') as hour,
  count(*) as requests,
  count(*) filter (where error_code is not null) as errors,
  round((count(*) filter (where error_code is not null))::numeric / count(*), 4) as error_rate
from public.usage_events
where created_at >= date_trunc('hour', now(), 'UTC') - interval '167 hours'
group by 1
order by 1 desc;

comment on view public.ops_requests_hourly is
  'Calls, errors and error rate (errors / calls) per UTC hour over the last 7 days.';

-- How many calls went through the proxy and how many straight from the browser, per UTC day.
create view public.ops_route_share_daily
with (security_invoker = true) as
select
  (created_at at time zone 'UTC')::date as day,
  count(*) as requests,
  count(*) filter (where route = 'direct') as direct_requests,
  count(*) filter (where route = 'proxy') as proxy_requests,
  round((count(*) filter (where route = 'direct'))::numeric / count(*), 4) as direct_share,
  round((count(*) filter (where route = 'proxy'))::numeric / count(*), 4) as proxy_share
from public.usage_events
where created_at >= (((now() at time zone 'UTC')::date - 89)::timestamp at time zone 'UTC')
group by 1
order by 1 desc;

comment on view public.ops_route_share_daily is
  'Calls per UTC day split by route, with each route''s share of the day, over the last 90 days.';

-- Estimated cost and tokens per UTC day. Calls to unpriced models (cost_usd null) add no cost;
-- unpriced_requests counts them so the estimate's gap is visible.
create view public.ops_cost_daily
with (security_invoker = true) as
select
  (created_at at time zone 'UTC')::date as day,
  count(*) as requests,
  coalesce(sum(cost_usd), 0)::numeric(14, 6) as cost_usd,
  count(*) filter (where cost_usd is null) as unpriced_requests,
  sum(input_tokens)::bigint as input_tokens,
  sum(output_tokens)::bigint as output_tokens,
  sum(cached_tokens)::bigint as cached_tokens
from public.usage_events
where created_at >= (((now() at time zone 'UTC')::date - 89)::timestamp at time zone 'UTC')
group by 1
order by 1 desc;

comment on view public.ops_cost_daily is
  'Estimated cost (USD) and tokens per UTC day over the last 90 days; unpriced calls counted apart.';

-- Users by tokens (input + output) over the last 30 days, most first. cached_tokens is shown
-- apart: providers report it as part of input, so it is not added again.
create view public.ops_top_users_30d
with (security_invoker = true) as
select
  rank() over (order by sum(input_tokens::bigint + output_tokens) desc) as rank,
  user_id,
  count(*) as requests,
  sum(input_tokens::bigint + output_tokens)::bigint as total_tokens,
  sum(input_tokens)::bigint as input_tokens,
  sum(output_tokens)::bigint as output_tokens,
  sum(cached_tokens)::bigint as cached_tokens,
  coalesce(sum(cost_usd), 0)::numeric(14, 6) as cost_usd
from public.usage_events
where created_at > now() - interval '720 hours'
group by user_id
order by total_tokens desc, requests desc, user_id;

comment on view public.ops_top_users_30d is
  'Per user over the last 30 days: calls, tokens (input + output), estimated cost; ranked by tokens.';

-- Sum of today's (UTC) estimated cost across all users and routes; 0 when there is none.
-- The proxy's daily cost alert calls it as `POST /rest/v1/rpc/usage_cost_today` with the
-- service role. Security invoker: it sees exactly the rows its caller may see.
create function public.usage_cost_today() returns numeric
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(sum(cost_usd), 0)::numeric
  from public.usage_events
  where created_at >= date_trunc('day', now(), 'UTC')
    and created_at < date_trunc('day', now(), 'UTC') + interval '24 hours'
$$;

comment on function public.usage_cost_today() is
  'Estimated cost in USD of all calls so far today (UTC day). Service role only.';

-- Service role only. Supabase's default privileges grant new views and functions in `public`
-- to anon and authenticated, and functions are executable by PUBLIC: take all of that back.
revoke all on table
  public.ops_active_users_24h,
  public.ops_requests_hourly,
  public.ops_route_share_daily,
  public.ops_cost_daily,
  public.ops_top_users_30d
from public, anon, authenticated, service_role;

grant select on table
  public.ops_active_users_24h,
  public.ops_requests_hourly,
  public.ops_route_share_daily,
  public.ops_cost_daily,
  public.ops_top_users_30d
to service_role;

revoke all on function public.usage_cost_today() from public, anon, authenticated, service_role;
grant execute on function public.usage_cost_today() to service_role;
