-- Usage rows count thinking and cache writes.
--
--   reasoning_tokens    thinking tokens, part of output_tokens (Anthropic's is estimated from
--                       the thinking text: the provider reports no separate count)
--   cache_write_tokens  input written to the provider's cache, part of input_tokens (priced
--                       above plain input by Anthropic, 1.25×)
--
-- Both default to 0, so rows written before and clients that do not send them stay valid.
-- A signed-in user's direct rows are bound as the other token counts are: at most 10,000,000
-- of each kind. The operator views that sum tokens show the two new sums too (as their last
-- columns: `create or replace view` keeps the views' grants and may only add columns at the end).

alter table public.usage_events
  add column reasoning_tokens integer not null default 0 check (reasoning_tokens >= 0),
  add column cache_write_tokens integer not null default 0 check (cache_write_tokens >= 0);

comment on column public.usage_events.reasoning_tokens is
  'Thinking tokens, part of output_tokens; estimated for Anthropic.';
comment on column public.usage_events.cache_write_tokens is
  'Input tokens written to the provider''s cache, part of input_tokens.';

-- ---------------------------------------------------------------------------------------------
-- The bounds on a user's direct rows, with the two new counts.

drop policy "usage_events: owner adds direct calls" on public.usage_events;

create policy "usage_events: owner adds direct calls" on public.usage_events
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and route = 'direct'
    and length(request_id) <= 100
    and length(provider) <= 40
    and length(model) <= 200
    and (error_code is null or length(error_code) <= 64)
    and input_tokens <= 10000000
    and output_tokens <= 10000000
    and cached_tokens <= 10000000
    and reasoning_tokens <= 10000000
    and cache_write_tokens <= 10000000
    and (cost_usd is null or cost_usd <= 100)
  );

-- ---------------------------------------------------------------------------------------------
-- Operator views: the new sums, after the existing columns.

create or replace view public.ops_cost_daily
with (security_invoker = true) as
select
  (created_at at time zone 'UTC')::date as day,
  count(*) as requests,
  coalesce(sum(cost_usd), 0)::numeric(14, 6) as cost_usd,
  count(*) filter (where cost_usd is null) as unpriced_requests,
  sum(input_tokens)::bigint as input_tokens,
  sum(output_tokens)::bigint as output_tokens,
  sum(cached_tokens)::bigint as cached_tokens,
  sum(reasoning_tokens)::bigint as reasoning_tokens,
  sum(cache_write_tokens)::bigint as cache_write_tokens
from public.usage_events
where created_at >= (((now() at time zone 'UTC')::date - 89)::timestamp at time zone 'UTC')
group by 1
order by 1 desc;

comment on view public.ops_cost_daily is
  'Estimated cost (USD) and tokens per UTC day over the last 90 days; unpriced calls counted apart. Reasoning tokens are part of output, cached and cache-write tokens part of input.';

-- Ranked by input + output as before: reasoning and cache-write tokens are already in those.
create or replace view public.ops_top_users_30d
with (security_invoker = true) as
select
  rank() over (order by sum(input_tokens::bigint + output_tokens) desc) as rank,
  user_id,
  count(*) as requests,
  sum(input_tokens::bigint + output_tokens)::bigint as total_tokens,
  sum(input_tokens)::bigint as input_tokens,
  sum(output_tokens)::bigint as output_tokens,
  sum(cached_tokens)::bigint as cached_tokens,
  coalesce(sum(cost_usd), 0)::numeric(14, 6) as cost_usd,
  sum(reasoning_tokens)::bigint as reasoning_tokens,
  sum(cache_write_tokens)::bigint as cache_write_tokens
from public.usage_events
where created_at > now() - interval '720 hours'
group by user_id
order by total_tokens desc, requests desc, user_id;

comment on view public.ops_top_users_30d is
  'Per user over the last 30 days: calls, tokens (input + output), estimated cost, and the reasoning and cache-write parts; ranked by tokens.';
