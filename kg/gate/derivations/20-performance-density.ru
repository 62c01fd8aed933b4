# Performance density of each chip: computed TPP / the smallest stated die area in mm2 (the
# smallest gives the highest density: where sources disagree, the stricter reading).
# "#CHIPS#" is replaced by VALUES ?chip { ... } to recompute only the chips a merge changed (kg/gate/derive.py).
PREFIX cg:   <https://w3id.org/chipgraph/ontology#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
INSERT { GRAPH <https://w3id.org/chipgraph/graph/derived> {
  ?chip cg:computedPerformanceDensity ?density .
  ?derivation a cg:MetricDerivation ; cg:derivedFor ?chip ; cg:derivedProperty cg:computedPerformanceDensity ;
    cg:derivedValue ?density ; prov:wasDerivedFrom ?tppDerivation , ?input .
  ?input a cg:FactReference ; cg:inputProperty cg:dieAreaMm2 ; cg:inputValue ?area ; cg:inputGraph ?graphText ;
    prov:wasDerivedFrom ?source .
} }
WHERE {
  {
    SELECT ?chip (MIN(?area0) AS ?area) WHERE {
      #CHIPS#
      GRAPH ?g0 { ?chip cg:dieAreaMm2 ?area0 }
      FILTER(STRSTARTS(STR(?g0), "https://w3id.org/chipgraph/graph/")
             && ?g0 NOT IN (<https://w3id.org/chipgraph/graph/inferred>, <https://w3id.org/chipgraph/graph/derived>))
      FILTER(isNumeric(?area0) && ?area0 > 0)
    } GROUP BY ?chip
  }
  #CHIPS#
  GRAPH <https://w3id.org/chipgraph/graph/derived> {
    ?tppDerivation cg:derivedFor ?chip ; cg:derivedProperty cg:computedTPP ; cg:derivedValue ?tpp .
  }
  GRAPH ?g { ?chip cg:dieAreaMm2 ?area }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/chipgraph/graph/")
         && ?g NOT IN (<https://w3id.org/chipgraph/graph/inferred>, <https://w3id.org/chipgraph/graph/derived>))
  BIND(?tpp / ?area AS ?density)
  BIND(IRI(CONCAT("https://w3id.org/chipgraph/id/derivation/", STRAFTER(STR(?chip), "https://w3id.org/chipgraph/id/chip/"), "/performance-density")) AS ?derivation)
  BIND(STRAFTER(STR(?g), "https://w3id.org/chipgraph/graph/") AS ?graphSlug)
  BIND(IRI(CONCAT(STR(?derivation), "/dieAreaMm2/", ?graphSlug)) AS ?input)
  BIND(IRI(CONCAT("https://w3id.org/chipgraph/id/source/", ?graphSlug)) AS ?source)
  BIND(STRDT(STR(?g), xsd:anyURI) AS ?graphText)
}
