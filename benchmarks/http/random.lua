-- Each request a different one: wrk -s random.lua URL -- TEMPLATE IDS_FILE PLANS MAX_OFFSET
-- fills TEMPLATE's {id} with an id from IDS_FILE (one a line: the seeded rows), {plan} with one of the
-- comma-separated PLANS and {offset} with a number from 0 to MAX_OFFSET, each chosen at random.
local template, ids, plans, max_offset
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  template, ids, plans, max_offset = args[1], {}, {}, tonumber(args[4])
  for line in io.lines(args[2]) do
    ids[#ids + 1] = line
  end
  for plan in string.gmatch(args[3], "[^,]+") do
    plans[#plans + 1] = plan
  end
  math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
  local path = template:gsub("{id}", function() return ids[math.random(#ids)] end)
  path = path:gsub("{plan}", function() return plans[math.random(#plans)] end)
  path = path:gsub("{offset}", function() return tostring(math.random(0, max_offset)) end)
  return wrk.format(nil, path)
end
