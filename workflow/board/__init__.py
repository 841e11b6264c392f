"""The board (nämnden): board matters (tjänsteutlåtanden) generated from the reports through templates the
municipality edits, the board's meetings and decisions, reports presented, and audit responses (yttranden)."""
