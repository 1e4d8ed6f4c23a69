"""Who is calling and what they may do: principals and Graph's permission rules. No web, no SQL."""
