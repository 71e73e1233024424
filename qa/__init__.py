"""PlanQA: cited answers from Chinese government plans (the domain: documents, clauses, retrieval, answers)."""
